"""One sample capture per input format (reader), from corpora/, with the
incident each one gives. Used by the accounting and hostile-input tests."""
import os

from common import CORPORA

SAMPLES = {
    "log-default": ("demo/launch-failure.log", "ent-unsatisfied"),
    "log-syslog": ("synthetic/relay-log-show-syslog.log", "ent-unsatisfied"),
    "log-compact": ("synthetic/relay-log-show-compact.log", "ent-unsatisfied"),
    "log-json": ("synthetic/relay-log-show.json", "ent-unsatisfied"),
    "log-ndjson": ("synthetic/relay-log-show.ndjson", "ent-unsatisfied"),
    "jsonl": ("synthetic/relay-mandiant.jsonl", "ent-unsatisfied"),
    "console": ("public/001-taskgated-amfid-kernel-no-matching-profile.txt", "ent-unsatisfied"),
    "crash-text": ("public/004-crash-codesigning-uncrustifier-10-12.txt", "cs-crash-on-launch"),
    "crash-ips": ("cases/complete-codesigning.ips", "cs-crash-on-launch"),
    "notarytool": ("cases/notarytool-invalid.json", "notarization-rejected"),
    "tool-output": ("public/016-codesign-verify-sealed-resource-modified.txt", "bundle-seal-broken"),
    "loose": ("public/002-amfi-restricted-entitlements-es-daemon.txt", "ent-unsatisfied"),
}

# Formats whose records are JSON: bytes appended after a record break it.
JSON_FORMATS = {"log-json", "log-ndjson", "jsonl", "crash-ips", "notarytool"}


def sample_path(fmt):
    return os.path.join(CORPORA, SAMPLES[fmt][0])


def expected_incident(fmt):
    return SAMPLES[fmt][1]
