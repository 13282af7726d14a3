import sys

from oms_local.runner import main

sys.exit(main())
