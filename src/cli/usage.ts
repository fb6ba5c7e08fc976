/**
 * The `stratus --help` text: the command-line surface in one place, so the
 * usage, the parser (args.ts) and the README cannot drift apart unnoticed.
 */

export const USAGE = `Usage: stratus [--help] [--version] <command> [options]

Stratus keeps a local folder in two-way sync with your own prefix in an S3 bucket.

Commands:
  sync --once      Run one sync pass and exit.
  watch            Keep the folder in sync until Ctrl-C: syncs local changes within seconds and
                   remote changes within a poll interval; one line per run and per state change.
  status           Show the folder's sync state: location, synced files, pending retries, last run.
  doctor           Check the server, credentials and prefix permissions, and how the server
                   differs from AWS S3 (quirks Stratus works around). Exit 0 if Stratus can sync.
  login            Sign in (auth cognito) in the browser; prints the sign-in URL as the first line.
  logout           Revoke and forget the stored sign-in; prints the hosted UI's sign-out URL.
  whoami           Show who is signed in: user, email, identity ID, prefix, token expiry.
  config           Show each setting's value, its source (policy, flag, config file, default) and
                   whether your organization locked it; --json prints one object keyed by setting.

Sync options:
  --once              One reconcile pass (required; "stratus watch" syncs continuously).
  --dry-run           Print the plan, one line per action, and change nothing.
  --confirm-deletes   Go ahead with deletes a safety rail stopped (e.g. an emptied folder).
  --confirm-download  Go ahead with a large first download (policy FirstDownloadConfirmAboveMiB).
  --limit-up RATE     Upload bandwidth limit, e.g. 500K or 2M (KiB/MiB per second; also for watch).
  --limit-down RATE   Download bandwidth limit, likewise. A plain number is bytes per second.
                      Each flag wins over "bandwidth" in the config file; "off" lifts its limit.

Watch options (times in milliseconds):
  --debounce-ms MS    Quiet time after the last local change before a run (default: 500).
  --poll-ms MS        How often an idle client checks the server's change marker (default: 15000);
                      one small GET each, 240 per idle hour.
  --full-list-ms MS   A full run (whole listing and folder scan) at least this often, for changes
                      made by other tools (default: 600000, 10 minutes).
  --ui                Also serve the status page (the app's window, in a browser) on 127.0.0.1 and
                      print "status page: <url>"; the URL carries a secret token, keep it private.
  --ui-port N         Port for the status page (default: any free port; implies --ui).

Sign-in options (login, logout):
  --no-browser        Only print the URL; do not open a browser.
  Sign-ins are stored per account in STRATUS_STATE_DIR (default: ~/.config/stratus,
  ~/Library/Application Support/Stratus, %APPDATA%\\Stratus) as 0600 files.

Settings (a flag wins over its environment variable, which wins over the config file):
  --folder DIR          STRATUS_FOLDER    Local sync folder; must exist.
  --bucket NAME         STRATUS_BUCKET    S3 bucket.
  --region REGION       STRATUS_REGION    S3 region (default: AWS_REGION).
  --endpoint URL        STRATUS_ENDPOINT  Any S3-compatible server (path-style addressing).
  --auth aws|cognito    STRATUS_AUTH      Credentials (default: aws). aws uses the AWS SDK's chain:
                                          AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile.
                                          cognito uses the sign-in of "stratus login".
  --prefix PREFIX       STRATUS_PREFIX    Prefix to sync in aws mode, ending in "/" (e.g. team/ada/);
                                          in cognito mode it is always <identityId>/.
  --config FILE         STRATUS_CONFIG    JSON file with the same settings:
                                          {"version": 1, "auth": "aws", "region": …, "bucket": …, …}
                                          and, only there: "deviceName" (conflicted-copy names;
                                          default: the host name), "bandwidth" (bytes per second:
                                          {"upBytesPerSecond": …, "downBytesPerSecond": …}),
                                          "massDelete" (the rail; default {"maxFiles": 500,
                                          "maxRatio": 0.5}) and "logLevel" (debug|info|warn|error:
                                          JSON log lines on stderr). The app's settings file works
                                          too (its app-only keys are ignored).

Output:
  --json           stdout is one JSON object (sync: counts, stop, failed items; status: the state;
                   doctor: the checks and the verdict); watch: one JSON object per line per event.
  --verbose        Debug logs (JSON lines) and stack traces on stderr (wins over "logLevel").
  -h, --help       Show this help.
  -v, --version    Print the version.

Exit codes: 0 success, 1 some items failed, 2 usage or configuration error,
3 stopped by a safety rail until confirmed, 130 interrupted.`;
