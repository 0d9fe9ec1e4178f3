"""Text of the commented configuration `oneonone init` writes.

Every default shown comes from the configuration model itself, so the two never differ.
"""

from __future__ import annotations

from string import Template

from runtime.config import Config

_TEMPLATE = Template("""\
# oneonone configuration. Every key is optional; the defaults are shown commented out.
# Any key can be overridden from the environment: ONEONONE_<SECTION>__<KEY>,
# e.g. ONEONONE_ORG__TIMEZONE=Europe/Berlin. Relative paths are relative to this file.

[org]
# timezone = $org_timezone                 # dates, ISO weeks and workdays are local to it
# workdays = $org_workdays
# work_hours_per_day = $org_work_hours_per_day

[roster]
source = "csv"                     # csv, google, microsoft, sandbox; one manager: self or ics
path = "roster.csv"                # CSV: email,name,manager_email,provider[,start_date]
# For one manager without an admin ("self": your own calendar after `oneonone login`;
# "ics": a calendar exported from Google Calendar or Outlook):
# provider = "microsoft"           # self: the account you sign in with (google or microsoft)
# reports = ["ana@example.com"]    # your direct reports (Microsoft sign-in reads them itself)
# calendar_file = "calendar.ics"   # ics: your exported calendar
# owner = "me@example.com"         # ics: whose calendar it is (default: from the file)

[google]
# service_account_file = "google-service-account.json"  # key with domain-wide delegation
# oauth_client_file = "client_secret.json"  # roster.source = "self": a Desktop-app client
# admin_subject = "admin@example.com"  # admin impersonated for the Directory API
# reports_admin_subject = "admin@example.com"  # reads the Meet audit log (attendance)
# api_endpoint = $google_api_endpoint
# Calendar API quotas, for the project and per user (a call in a batch counts as one):
# requests_per_minute = $google_requests_per_minute
# requests_per_minute_per_calendar = $google_requests_per_minute_per_calendar
# batch_size = $google_batch_size                  # calls per batch request, at most 1000

[microsoft]
# tenant_id = "00000000-0000-0000-0000-000000000000"
# client_id = "00000000-0000-0000-0000-000000000000"
# client_secret = "env:ONEONONE_MS_SECRET"  # or "prefect:block-name"; never the secret itself
# client_certificate_file = "oneonone-app.pem"  # or a certificate instead of a secret
# client_certificate_thumbprint = "0123456789ABCDEF0123456789ABCDEF01234567"
# authority = $microsoft_authority
# graph_endpoint = $microsoft_graph_endpoint
# Graph's Outlook quotas per mailbox (a request in a JSON batch counts as one):
# concurrent_per_mailbox = $microsoft_concurrent_per_mailbox
# requests_per_10_minutes_per_mailbox = $microsoft_requests_per_10_minutes_per_mailbox
# batch_size = $microsoft_batch_size                  # requests per JSON batch, at most 20

[login]                    # where `oneonone login` keeps your tokens (owner-only)
# store = $login_store                   # auto (the OS keyring if any, else a file), keyring, file
# directory = "~/.config/oneonone"   # for the file (default: under XDG_CONFIG_HOME if set)

[http]
# ca_bundle = "corporate-ca.pem"   # extra CA trusted by every client
# timeout_s = $http_timeout_s
# max_concurrency = $http_max_concurrency

[sync]
# history_days = $sync_history_days               # reach of the first full sync, before today
# horizon_days = $sync_horizon_days                # and after today

[metrics]
# window_days = $metrics_window_days
# impact_days = $metrics_impact_days  # days of work one 1:1 covers (Grove's leverage)
# late_cancel_hours = $metrics_late_cancel_hours
# neglect_days = $metrics_neglect_days
# intro_grace_days = $metrics_intro_grace_days
# chronic_cancel_rate = $metrics_chronic_cancel_rate
# chronic_min_scheduled = $metrics_chronic_min_scheduled
# min_minutes = $metrics_min_minutes
# max_minutes = $metrics_max_minutes
# require_attendance = $metrics_require_attendance  # with call records: a no-show is not held

[phases]                   # get_to_know → share_context → maintain, per reporting line
# get_to_know_held = $phases_get_to_know_held       # held 1:1s that end get_to_know
# share_context_days = $phases_share_context_days   # days from the line's start to maintain
# expected_days = $phases_expected_days # a 1:1 expected every … days, per phase
# behind_below = $phases_behind_below         # adherence below this is behind the phase

[attendance]               # call records as evidence that 1:1s happened (see the README)
# enabled = $attendance_enabled            # off: no call API is touched
# overlap_hours = $attendance_overlap_hours         # each run re-reads this much (late records)

[warehouse]
# path = $warehouse_path

[run]
# history_weeks = $run_history_weeks  # weekly snapshots a new install's first run starts with

[report]
# out_dir = $report_out_dir

[privacy]
# pseudonymize = $privacy_pseudonymize             # HMAC-SHA256 of every email at ingest
# key = "env:ONEONONE_PRIVACY_KEY"
""")


def _toml(value: object) -> str:
    """A default as TOML writes it (weekday names capitalised, as a user types them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        items = (item if isinstance(item, int) else str(item).capitalize() for item in value)
        return "[" + ", ".join(_toml(item) for item in items) + "]"
    return f'"{value}"'  # strings and paths


def config_template() -> str:
    """The commented configuration, every default taken from `Config`."""
    defaults = Config().model_dump(exclude={"report": {"email"}})
    values = {
        f"{section}_{key}": _toml(value)
        for section, keys in defaults.items()
        for key, value in keys.items()
    }
    return _TEMPLATE.substitute(values)


CONFIG_TEMPLATE = config_template()
