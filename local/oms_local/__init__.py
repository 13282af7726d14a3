"""Run the whole OMS on one machine: template.yaml, expanded by the SAM translator, on moto."""
