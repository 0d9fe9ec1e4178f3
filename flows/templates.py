"""Text of the commented configuration `oneonone init` writes."""

CONFIG_TEMPLATE = """\
# oneonone configuration. Every key is optional; the defaults are shown commented out.
# Any key can be overridden from the environment: ONEONONE_<SECTION>__<KEY>,
# e.g. ONEONONE_ORG__TIMEZONE=Europe/Berlin. Relative paths are relative to this file.

[org]
# timezone = "UTC"                 # dates, ISO weeks and workdays are local to it
# workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
# work_hours_per_day = 8

[roster]
source = "csv"                     # csv, google, microsoft or sandbox
path = "roster.csv"                # CSV: email,name,manager_email,provider[,start_date]

[google]
# service_account_file = "google-service-account.json"  # key with domain-wide delegation
# admin_subject = "admin@example.com"  # admin impersonated for the Directory API
# api_endpoint = "https://www.googleapis.com/"

[microsoft]
# tenant_id = "00000000-0000-0000-0000-000000000000"
# client_id = "00000000-0000-0000-0000-000000000000"
# client_secret = "env:ONEONONE_MS_SECRET"  # or "prefect:block-name"; never the secret itself
# client_certificate_file = "oneonone-app.pem"  # or a certificate instead of a secret
# client_certificate_thumbprint = "0123456789ABCDEF0123456789ABCDEF01234567"
# authority = "https://login.microsoftonline.com/{tenant}"
# graph_endpoint = "https://graph.microsoft.com/v1.0"

[http]
# ca_bundle = "corporate-ca.pem"   # extra CA trusted by every client
# timeout_s = 30
# max_concurrency = 8

[sync]
# history_days = 180               # reach of the first full sync, before today
# horizon_days = 28                # and after today

[metrics]
# window_days = 90
# impact_days = 14                 # days of work one 1:1 covers (Grove's leverage)
# late_cancel_hours = 24
# neglect_days = 30
# intro_grace_days = 14
# chronic_cancel_rate = 0.25
# chronic_min_scheduled = 4
# min_minutes = 10
# max_minutes = 180

[warehouse]
# path = "oneonone.duckdb"

[report]
# out_dir = "out"

[privacy]
# pseudonymize = false             # HMAC-SHA256 of every email at ingest
# key = "env:ONEONONE_PRIVACY_KEY"
"""
