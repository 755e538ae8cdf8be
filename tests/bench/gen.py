#!/usr/bin/env python3
"""Generates a realistic `log show` capture of a given size for the benchmark.

  gen.py --style default|ndjson --mb 300 --out FILE [--chain-every 20000] [--seed 1]

The capture mixes ordinary processes with varied message lengths, benign lines
from the trusted-execution processes (AMFI "allowing" lines, Gatekeeper scans,
trustd checks, sandbox noise), and planted failure chains of several classes at a
known rate, each for a different app, far enough apart in time not to link.
Writes FILE.manifest.json with the number of planted chains per class.
"""
import argparse
import json
import random
from datetime import datetime, timedelta, timezone

TZ = timezone(timedelta(hours=-8))

ORDINARY = [
    ("WindowServer", "SkyLight", "com.apple.SkyLight", "default", [
        "[CGXDisplay] display {n} brightness changed to 0.{n2}",
        "CGXSetWindowListTags: Operation on a window 0x{hex} requiring rights kCGSWindowRightPresenter by PID {pid}",
        "_CGXRemoveWindowFromWindowMovementGroup: window 0x{hex} is not attached to window 0x{hex2}"]),
    ("mDNSResponder", "mDNSResponder", "com.apple.mDNSResponder", "Default", [
        "[R{n}] DNSServiceQueryRecord(15000, 0, <private>, Addr) START PID[{pid}](Safari)",
        "[R{n}] getaddrinfo stop -- hostname: <mask.hash: 'Ab{hex}=='>, client pid: {pid} ({proc})",
        "[Q{n}] Sending unicast query to {ip} over UDP -- qname: <mask.hash: 'xy{hex}=='>, qtype: HTTPS"]),
    ("Safari", "WebKit", "com.apple.WebKit", "Loading", [
        "WebPageProxy::didFinishLoadForFrame: frameID={n}, isMainFrame=1",
        "NetworkProcessProxy::didReceiveAuthenticationChallenge: webPageProxyID={n} {long}",
        "ResourceLoadStatistics: updated {n} entries in {n2} ms"]),
    ("bluetoothd", "bluetoothd", "com.apple.bluetooth", "Server.LE.Scan", [
        "Scan parameters: interval {n} ms window {n2} ms, duplicate filter on",
        "Device found: <private> RSSI -{n2} dBm {long}"]),
    ("runningboardd", "RunningBoard", "com.apple.runningboard", "process", [
        "[app<application.com.apple.Safari.{n}>:{pid}] Set darwin role to: UserInteractive",
        "Acquiring assertion targeting [app<application.com.apple.mail.{n}>:{pid}] from originator [osservice<com.apple.WindowServer(88)>:{pid}]"]),
    ("cloudd", "CloudKitDaemon", "com.apple.cloudkit", "Scheduler", [
        "Scheduled activity com.apple.cloudkit.sync.{n} deferred, reason: battery",
        "Finished operation <CKDModifyRecordsOperation: 0x{hex}; {long}>"]),
    ("kernel", "kernel", "", "", [
        "Sandbox: {proc}({pid}) deny(1) file-read-data /Users/kim/Library/Preferences/com.apple.{proc}.plist",
        "memorystatus: {proc} [{pid}] exceeded mem limit: ActiveSoft {n} MB (non-fatal)"]),
]

BENIGN_TE = [
    ("kernel", "AppleMobileFileIntegrity", "", "", "AMFI: allowing exception handler for '{proc}' ({pid}) because the process is not restricted."),
    ("syspolicyd", "syspolicyd", "com.apple.syspolicy", "default", "GK performScan: PST: (path: {hex}), (team: (null)), (id: (null)), (bundle_id: (null))"),
    ("syspolicyd", "syspolicyd", "com.apple.syspolicy.exec", "default", "scan finished, waking up any waiters"),
    ("trustd", "trustd", "com.apple.securityd", "trust", "SecKeyVerifySignature {n}"),
    ("amfid", "amfid", "", "", "Entitlements for {proc} ({pid}) validated against profile: ok"),
    ("sandboxd", "sandboxd", "com.apple.sandbox.reporting", "violation", "Sandbox: mds({pid}) deny(1) file-read-data /Users/kim/Library/Mail/V10/MailData"),
]


def chains(app, bundle, team, pid):
    exe = f"/Applications/{app}.app/Contents/MacOS/{app}"
    return {
        "ent-unsatisfied": [
            ("Error", "taskgated-helper", "ManagedClient", "com.apple.ManagedClient", "ProvisioningProfiles",
             f"{bundle}: Unsatisfied entitlements: com.apple.developer.system-extension.install, com.apple.developer.team-identifier"),
            ("Error", "amfid", "amfid", "", "", "Restricted entitlements not validated, bailing out. Error: Error Domain=AppleMobileFileIntegrityError Code=-413 \"No matching profile found\" UserInfo={NSURL=<private>, unsatisfiedEntitlements=<private>, NSLocalizedDescription=No matching profile found}"),
            ("Default", "amfid", "amfid", "", "", f"{exe} not valid: Error Domain=AppleMobileFileIntegrityError Code=-413 \"No matching profile found\" UserInfo={{NSURL=file:///Applications/{app}.app/, NSLocalizedDescription=No matching profile found}}"),
            ("Default", "kernel", "AppleMobileFileIntegrity", "", "", "AMFI: bailing out because of restricted entitlements."),
            ("Default", "kernel", "AppleSystemPolicy", "", "", f"ASP: Security policy would not allow process: {pid}, {exe}"),
        ],
        "adhoc-or-unknown-chain": [
            ("Default", "amfid", "amfid", "", "", f"/Applications/{app}.app/Contents/Frameworks/Core.framework/Versions/A/Core not valid: Error Domain=AppleMobileFileIntegrityError Code=-423 \"The file is adhoc signed or signed by an unknown certificate chain\" UserInfo={{NSURL=file:///Applications/{app}.app/Contents/Frameworks/Core.framework/, NSLocalizedDescription=The file is adhoc signed or signed by an unknown certificate chain}}"),
            ("Default", "kernel", "AppleMobileFileIntegrity", "", "", f"AMFI: '/Applications/{app}.app/Contents/Frameworks/Core.framework/Versions/A/Core' is adhoc signed."),
        ],
        "library-validation": [
            ("Default", "kernel", "AppleMobileFileIntegrity", "", "", f"Library Validation failed: Rejecting '/Applications/{app}.app/Contents/PlugIns/Ext.bundle/Contents/MacOS/Ext' (Team ID: ZZZZZ99999, platform: no) for process '{app}({pid})' (Team ID: {team}, platform: no), reason: mapping process and mapped file (non-platform) have different Team IDs"),
        ],
        "launch-constraint-violation": [
            ("Default", "kernel", "AppleMobileFileIntegrity", "", "", f"AMFI: Launch Constraint Violation (enforcing), error info: c[5]p[1]m[1]e[0], (Constraint not matched) launching proc[vc: 1 pid: 1]: /sbin/launchd, launch type 0, failure proc [vc: 10 pid: {pid}]: {exe}"),
        ],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--style", choices=["default", "ndjson"], default="default")
    ap.add_argument("--mb", type=float, default=300)
    ap.add_argument("--out", required=True)
    ap.add_argument("--chain-every", type=int, default=20000, help="lines between planted chains")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    limit = int(a.mb * 1024 * 1024)
    t = datetime(2026, 11, 20, 9, 0, 0, tzinfo=TZ)
    planted = {}
    written = 0
    lines = 0
    next_chain = a.chain_every
    chain_no = 0
    longtext = "x" * 40

    def fill(s):
        return s.format(n=rnd.randint(1, 99999), n2=rnd.randint(10, 99), hex=format(rnd.getrandbits(40), "x"),
                        hex2=format(rnd.getrandbits(32), "x"), pid=rnd.randint(100, 99999),
                        proc=rnd.choice(["Safari", "Mail", "Music", "Notes", "Xcode", "Slack"]),
                        ip=f"192.0.2.{rnd.randint(1, 254)}",
                        long=" ".join(rnd.choice(["alpha", "beta", "gamma", "delta", longtext]) for _ in range(rnd.randint(1, 12))))

    with open(a.out, "w", encoding="utf-8") as out:
        if a.style == "default":
            out.write("Timestamp                       Thread     Type        Activity             PID    TTL  \n")
        while written < limit:
            t += timedelta(microseconds=rnd.randint(50, 900))
            if lines >= next_chain:
                next_chain = lines + a.chain_every
                chain_no += 1
                cls = ["ent-unsatisfied", "adhoc-or-unknown-chain", "library-validation", "launch-constraint-violation"][chain_no % 4]
                app = f"App{chain_no:05d}"
                pid = 20000 + chain_no
                t += timedelta(seconds=10)  # well outside every link window
                recs = [(typ, proc, sender, sub, cat, msg, 0 if proc == "kernel" else rnd.randint(100, 999))
                        for typ, proc, sender, sub, cat, msg in chains(app, f"com.example.app{chain_no}", "ABCDE12345", pid)[cls]]
                planted[cls] = planted.get(cls, 0) + 1
                t_chain = t
                t += timedelta(seconds=10)
            else:
                recs = None
            if recs is None:
                if rnd.random() < 0.04:
                    proc, sender, sub, cat, msg = rnd.choice(BENIGN_TE)
                    typ = "Default"
                else:
                    proc, sender, sub, cat, msgs = rnd.choice(ORDINARY)
                    msg = rnd.choice(msgs)
                    typ = rnd.choice(["Default", "Default", "Info", "Error"])
                recs = [(typ, proc, sender, sub, cat, fill(msg), 0 if proc == "kernel" else rnd.randint(100, 999))]
                times = [t]
            else:
                times = [t_chain + timedelta(microseconds=100 * i) for i in range(len(recs))]
            for (typ, proc, sender, sub, cat, msg, pid), when in zip(recs, times):
                ts = when.strftime("%Y-%m-%d %H:%M:%S.%f%z")
                if a.style == "default":
                    comp = proc + ":" + (f" ({sender})" if sender and sender != proc else "") + (f" [{sub}:{cat}]" if sub else "")
                    line = f"{ts} {hex(rnd.randint(0x100, 0xfffff)):<10} {typ:<11} 0x0                  {pid:<6} 0    {comp} {msg}\n"
                else:
                    line = json.dumps({"timezoneName": "", "messageType": typ, "eventType": "logEvent", "source": None,
                                       "formatString": "%{public}s", "activityIdentifier": 0, "subsystem": sub,
                                       "category": cat, "threadID": rnd.randint(0x100, 0xfffff), "bootUUID": "",
                                       "processImagePath": f"/usr/libexec/{proc}", "senderImagePath": f"/usr/lib/{sender}",
                                       "timestamp": ts, "machTimestamp": lines * 1000, "eventMessage": msg,
                                       "processID": pid, "traceID": 4928246544425287684 + lines,
                                       "parentActivityIdentifier": 0}, separators=(",", ":")).replace("/", "\\/") + "\n"
                out.write(line)
                written += len(line)
                lines += 1
    with open(a.out + ".manifest.json", "w", encoding="utf-8") as m:
        json.dump({"style": a.style, "bytes": written, "lines": lines, "planted": planted}, m, indent=2)
    print(f"{a.out}: {written / 1048576:.1f} MiB, {lines} lines, planted {planted}")


main()
