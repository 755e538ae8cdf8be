#!/usr/bin/env python3
"""Writes corpora/synthetic/: one launch failure (restricted entitlements not
authorised by the embedded profile, modelled on the chain quoted in
failure-classes.md 1 and Quinn's OverClaim example) surrounded by ordinary noise,
rendered in every `log` output style, plus the demo capture.

The events are invented (app "Relay", bundle id com.example.relay, Team ID
ABCDE12345) but every message follows a verbatim signature. Regenerate with:
    python3 tests/scripts/make-synthetic.py corpora
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone

TZ = timezone(timedelta(hours=1))
T0 = datetime(2026, 3, 2, 10, 14, 7, 512301, tzinfo=TZ)
APP = "/Applications/Relay.app"
EXE = APP + "/Contents/MacOS/Relay"

# (offset_us, type, pid, tid, process, process_path, sender, subsystem, category, message)
EVENTS = [
    (-1900000, "Default", 377, 0x1a2b, "WindowServer", "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer", "SkyLight", "com.apple.SkyLight", "default", "[CGXDisplay] display 1 brightness changed to 0.62"),
    (-1500000, "Info", 214, 0x20f1, "mDNSResponder", "/usr/sbin/mDNSResponder", "mDNSResponder", "com.apple.mDNSResponder", "Default", "[R4211] DNSServiceQueryRecord(15000, 0, <private>, Addr) START PID[561](Safari)"),
    (-1200000, "Default", 0, 0x3a0, "kernel", "/kernel", "AppleMobileFileIntegrity", "", "", "AMFI: allowing exception handler for 'Xcode' (7302) because the process is not restricted."),
    (-800000, "Default", 531, 0x4401, "Finder", "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder", "Finder", "com.apple.finder", "Launch", "sendAction: open Relay.app"),
    (0, "Error", 812, 0x5a11, "taskgated-helper", "/usr/libexec/taskgated-helper", "ManagedClient", "com.apple.ManagedClient", "ProvisioningProfiles", "com.example.relay: Unsatisfied entitlements: com.apple.developer.system-extension.install, com.apple.developer.team-identifier"),
    (218, "Info", 401, 0x5b02, "amfid", "/usr/libexec/amfid", "amfid", "", "", "Requirements for restricted entitlements failed to validate, error -67671, requirements: '<private>'"),
    (226, "Error", 401, 0x5b02, "amfid", "/usr/libexec/amfid", "amfid", "", "", "Restricted entitlements not validated, bailing out. Error: Error Domain=AppleMobileFileIntegrityError Code=-413 \"No matching profile found\" UserInfo={NSURL=<private>, unsatisfiedEntitlements=<private>, NSLocalizedDescription=No matching profile found}"),
    (371, "Default", 401, 0x5b02, "amfid", "/usr/libexec/amfid", "amfid", "", "", EXE + " not valid: Error Domain=AppleMobileFileIntegrityError Code=-413 \"No matching profile found\" UserInfo={NSURL=file://" + APP + "/, unsatisfiedEntitlements=<private>, NSLocalizedDescription=No matching profile found}"),
    (453, "Default", 0, 0x3a0, "kernel", "/kernel", "AppleMobileFileIntegrity", "", "", "AMFI: bailing out because of restricted entitlements."),
    (462, "Default", 0, 0x3a0, "kernel", "/kernel", "AppleMobileFileIntegrity", "", "", "mac_vnode_check_signature: " + EXE + ": code signature validation failed fatally: When validating " + EXE + ":\n  Code has restricted entitlements, but the validation of its code signature failed.\nUnsatisfied Entitlements: com.apple.developer.system-extension.installcom.apple.developer.team-identifier"),
    (470, "Default", 0, 0x3a0, "kernel", "/kernel", "kernel", "", "", "proc 4711: load code signature error 4 for file \"Relay\""),
    (488, "Default", 0, 0x3a0, "kernel", "/kernel", "AppleSystemPolicy", "", "", "ASP: Security policy would not allow process: 4711, " + EXE),
    (91000, "Error", 167, 0x6c02, "runningboardd", "/usr/libexec/runningboardd", "RunningBoard", "com.apple.runningboard", "job", "Launch failed for com.example.relay: Error Domain=RBSRequestErrorDomain Code=5 \"Launch failed.\" UserInfo={NSLocalizedFailureReason=Launch failed., NSUnderlyingError=0x600003a0c0f0 {Error Domain=NSPOSIXErrorDomain Code=163 \"Unknown error: 163\" UserInfo={NSLocalizedDescription=Launchd job spawn failed}}}"),
    (400000, "Default", 214, 0x20f1, "mDNSResponder", "/usr/sbin/mDNSResponder", "mDNSResponder", "com.apple.mDNSResponder", "Default", "[R4212] DNSServiceQueryRecord(15000, 0, <private>, AAAA) STOP PID[561](Safari)"),
    (2600000, "Default", 377, 0x1a2b, "WindowServer", "/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer", "SkyLight", "com.apple.SkyLight", "default", "[CGXDisplay] display 1 brightness changed to 0.60"),
]


def ts(e, micro=True):
    t = T0 + timedelta(microseconds=e[0])
    if micro:
        return t.strftime("%Y-%m-%d %H:%M:%S.%f%z")
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def composed(e):
    _, _, _, _, proc, _, sender, sub, cat, msg = e
    out = proc + ":"
    if sender and sender != proc:
        out += f" ({sender})"
    if sub:
        out += f" [{sub}:{cat}]"
    return out + " " + msg


def default_style(ttl=True, preamble=True, summary=False):
    lines = []
    if preamble:
        lines.append('Filtering the log data using "process IN {"taskgated-helper", "amfid", "kernel"} OR sender == "AppleSystemPolicy""')
    if summary:
        lines.append("Skipping info and debug messages, pass --info and/or --debug to include.")
    if ttl:
        lines.append("Timestamp                       Thread     Type        Activity             PID    TTL  ")
    else:
        lines.append("Timestamp                       Thread     Type        Activity             PID    ")
    for e in EVENTS:
        row = f"{ts(e):<32}{hex(e[3]):<11}{e[1]:<12}{'0x0':<21}{e[2]:<7}"
        if ttl:
            row += f"{0:<5}"
        lines.append(row + composed(e))
    if summary:
        lines.append("-" * 116)
        counts = {t: sum(1 for e in EVENTS if e[1] == t) for t in ("Default", "Info", "Debug", "Error", "Fault")}
        lines.append(f"Log      - Default: {counts['Default']:>10}, Info: {counts['Info']:>16}, Debug: {counts['Debug']:>13}, Error: {counts['Error']:>10}, Fault: {counts['Fault']:>10}")
        lines.append(f"Activity - Create: {0:>11}, Transition: {0:>10}, Actions: {0:>11}")
    return "\n".join(lines) + "\n"


def syslog_style():
    lines = ["Timestamp                       (process)[PID]    "]
    for e in EVENTS:
        _, _, pid, _, proc, _, sender, sub, cat, msg = e
        rest = ""
        if sender and sender != proc:
            rest += f"({sender}) "
        if sub:
            rest += f"[{sub}:{cat}] "
        lines.append(f"{ts(e)}  localhost {proc}[{pid}]: {rest}{msg}")
    return "\n".join(lines) + "\n"


def compact_style():
    codes = {"Default": "Df", "Info": "I ", "Debug": "Db", "Error": "E ", "Fault": "F "}
    lines = ["Timestamp               Ty Process[PID:TID]"]
    for e in EVENTS:
        _, typ, pid, tid, proc, _, sender, sub, cat, msg = e
        rest = ""
        if sender and sender != proc:
            rest += f"({sender}) "
        if sub:
            rest += f"[{sub}:{cat}] "
        lines.append(f"{ts(e, micro=False)} {codes[typ]} {proc}[{pid}:{tid:x}] {rest}{msg}")
    return "\n".join(lines) + "\n"


def json_obj(e, idx):
    _, typ, pid, tid, proc, ppath, sender, sub, cat, msg = e
    spath = ppath if sender == proc else {
        "AppleMobileFileIntegrity": "/System/Library/Extensions/AppleMobileFileIntegrity.kext/Contents/MacOS/AppleMobileFileIntegrity",
        "AppleSystemPolicy": "/System/Library/Extensions/AppleSystemPolicy.kext/Contents/MacOS/AppleSystemPolicy",
        "ManagedClient": "/System/Library/PrivateFrameworks/ManagedClient.framework/Versions/A/ManagedClient",
        "RunningBoard": "/System/Library/PrivateFrameworks/RunningBoard.framework/Versions/A/RunningBoard",
        "SkyLight": "/System/Library/PrivateFrameworks/SkyLight.framework/Versions/A/SkyLight",
    }.get(sender, ppath)
    return {
        "timezoneName": "",
        "messageType": typ,
        "eventType": "logEvent",
        "source": None,
        "formatString": "%{public}s",
        "userID": 0,
        "activityIdentifier": 0,
        "subsystem": sub,
        "category": cat,
        "threadID": tid,
        "senderImageUUID": "6C3E2F0A-1B2C-3D4E-5F60-718293A4B5C6",
        "backtrace": {"frames": [{"imageOffset": 12345 + idx, "imageUUID": "6C3E2F0A-1B2C-3D4E-5F60-718293A4B5C6"}]},
        "bootUUID": "",
        "processImagePath": ppath,
        "senderImagePath": spath,
        "timestamp": ts(e),
        "machTimestamp": 1234567890123 + idx,
        "eventMessage": msg,
        "processImageUUID": "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
        "traceID": 4928246544425287684 + idx,
        "processID": pid,
        "senderProgramCounter": 1000 + idx,
        "parentActivityIdentifier": 0,
    }


def json_style():
    # log's pretty array: two-space indent, " : ", "\/" escapes, "},{" separators.
    objs = []
    for i, e in enumerate(EVENTS):
        body = json.dumps(json_obj(e, i), indent=2, separators=(",", " : "), ensure_ascii=False)
        objs.append(body.replace("/", "\\/"))
    # Objects are joined as `log` prints them: "[{" ... "},{" ... "}]".
    inner = [o[1:] if k else o for k, o in enumerate(objs)]
    inner = [o[:-1] if k < len(inner) - 1 else o for k, o in enumerate(inner)]
    text = "[" + "},{".join(inner) + "]"
    return 'Filtering the log data using "process == "amfid""\n' + text + "\n"


def ndjson_style(finished=True):
    lines = [json.dumps(json_obj(e, i), separators=(",", ":"), ensure_ascii=False).replace("/", "\\/") for i, e in enumerate(EVENTS)]
    if finished:
        lines.append('{"count":%d,"finished":1}' % len(EVENTS))
    return "\n".join(lines) + "\n"


def mandiant_style():
    out = []
    for e in EVENTS:
        _, typ, pid, tid, proc, ppath, sender, sub, cat, msg = e
        t = T0 + timedelta(microseconds=e[0])
        out.append(json.dumps({
            "subsystem": sub, "thread_id": tid, "pid": pid, "euid": 0, "library": sender,
            "library_uuid": "6C3E2F0A1B2C3D4E5F60718293A4B5C6", "activity_id": 0, "time": int(t.timestamp() * 1e9),
            "category": cat, "event_type": "Log", "log_type": typ, "process": ppath,
            "process_uuid": "0F1E2D3C4B5A69788796A5B4C3D2E1F0", "message": msg, "raw_message": "%s",
            "boot_uuid": "", "timezone_name": "Europe/Berlin", "message_entries": [],
        }, separators=(",", ":")))
    return "\n".join(out) + "\n"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "corpora"
    syn = os.path.join(root, "synthetic")
    demo = os.path.join(root, "demo")
    os.makedirs(syn, exist_ok=True)
    os.makedirs(demo, exist_ok=True)
    files = {
        "relay-log-stream-default.log": default_style(ttl=True, preamble=True),
        "relay-log-show-default-no-ttl.log": default_style(ttl=False, preamble=True, summary=True),
        "relay-log-show-syslog.log": syslog_style(),
        "relay-log-show-compact.log": compact_style(),
        "relay-log-show.json": json_style(),
        "relay-log-show.ndjson": ndjson_style(),
        "relay-mandiant.jsonl": mandiant_style(),
    }
    for name, text in files.items():
        with open(os.path.join(syn, name), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(demo, "launch-failure.log"), "w", encoding="utf-8") as f:
        f.write(default_style(ttl=True, preamble=True))
    print(f"wrote {len(files)} synthetic captures and the demo")


main()
