"""Deploy time, as CloudFormation's custom resource AdminAppFiles: on create and update, the admin
app's files (packaged beside this handler in site/, see the Makefile) and its config.json (the API,
the hosted UI and the app client the stack created) put in the app's bucket; on delete, the bucket
emptied so that CloudFormation can delete it. CloudFormation always hears back: an error is a
FAILED reply with its reason, so a deploy fails at once instead of waiting an hour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from oms.data.app_site import AppSite, reply_to_cloudformation
from oms.errors import OmsError
from oms.observability import logger

# The app's files: in the package, site/ (the Makefile copies them there); run from the repository
# (sam local invoke, the tests), the app's own folder.
_PACKAGED = Path(__file__).with_name("site")
SITE = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).parents[2] / "admin_app" / "public"


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    props = event.get("ResourceProperties") or {}
    kind = str(event.get("RequestType"))
    physical_id = str(event.get("PhysicalResourceId") or f"admin-app-{props.get('Bucket', 'none')}")
    status, reason = "SUCCESS", ""
    try:
        site = AppSite(str(props["Bucket"]))
        if kind == "Delete":
            removed = site.empty()
            logger.info("admin app bucket emptied", extra={"objects": removed})
        else:
            config = {"apiUrl": props["ApiUrl"], "authUrl": props["AuthUrl"], "clientId": props["ClientId"]}
            keys = site.publish(SITE, config)
            logger.info("admin app published", extra={"files": len(keys), "request": kind})
    except (OmsError, KeyError) as error:
        logger.error("admin app not published", extra={"request": kind, "error": str(error)})
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    reply_to_cloudformation(event, status, reason, physical_id)
    return {"Status": status}
