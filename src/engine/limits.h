/* Every limit of tediag in one place, each with the reason for its value.
 * When a limit bites, the run goes on and the summary counts it. */
#ifndef TE_LIMITS_H
#define TE_LIMITS_H

/* Longest line a reader sees; longer lines are cut (skipped and counted).
 * 1 MiB holds any real log line, crash-report line or ndjson record. */
#define TE_MAX_LINE_BYTES (1u << 20)
/* Longest multi-line record (log entry with continuation lines, pretty JSON
 * object, crash report, notarytool log); the rest of the record is skipped. */
#define TE_MAX_RECORD_BYTES (4u << 20)
/* Lines of one multi-line record; guards the per-record line table. */
#define TE_MAX_RECORD_LINES 20000u
/* Bytes and lines looked at to detect a source's format. */
#define TE_DETECT_BYTES (64u << 10)
#define TE_DETECT_LINES 200u
/* JSON nesting accepted (log json, .ips, notarytool); deeper is skipped. */
#define TE_MAX_JSON_DEPTH 64u
/* YAML nesting and aliases in rule files (an alias bomb is refused). */
#define TE_MAX_YAML_DEPTH 32u
#define TE_MAX_YAML_ALIASES 0u /* rules never need anchors/aliases: refused */
#define TE_MAX_RULE_FILE_BYTES (1u << 20)
/* Rules, patterns per rule (a pattern set is a uint64_t bit mask), captures. */
#define TE_MAX_RULES 1024u
#define TE_MAX_PATTERNS_PER_RULE 64u
#define TE_MAX_CAPTURES 32u
/* PCRE2 cost limits per match (suricata uses 3500/1500; our messages are
 * short, a legitimate match needs far less). A hit is counted, never a hang. */
#define TE_PCRE2_MATCH_LIMIT 100000u
#define TE_PCRE2_DEPTH_LIMIT 10000u
/* Only the first bytes of a message are searched by regexes. */
#define TE_MAX_MATCH_SUBJECT (64u << 10)
/* Open launch contexts held by the correlator; the oldest is closed early
 * (and counted) when a new one would exceed it. Bounds memory on endless input. */
#define TE_MAX_OPEN_CONTEXTS 512u
/* Matches held per context, evidence lines per incident and their length. */
#define TE_MAX_MATCHES_PER_CONTEXT 256u
#define TE_MAX_EVIDENCE_PER_INCIDENT 64u
#define TE_MAX_EVIDENCE_MESSAGE 2048u
/* Facts per context and values per list fact. */
#define TE_MAX_FACTS_PER_CONTEXT 64u
#define TE_MAX_FACT_VALUES 64u
#define TE_MAX_FACT_BYTES 1024u
/* Default link window: lines of one exec fall within milliseconds, a crash
 * report's capture follows within seconds. */
#define TE_DEFAULT_WINDOW_US (5 * 1000000LL)
/* Longest `link.window` a rule may ask for: a longer one would keep launch
 * contexts open for unrelated launches. */
#define TE_MAX_LINK_WINDOW_US (60 * 60 * 1000000LL)
/* Event time going back by more than this (concatenated captures, a clock
 * adjustment) starts a new era in the correlator; small disorder is normal. */
#define TE_CLOCK_JUMP_BACK_US (60 * 1000000LL)
/* For input without timestamps: matches this many lines apart still link. */
#define TE_UNTIMED_WINDOW_LINES 400u
/* `tediag live`: literals shorter than this are left out of the derived
 * `log stream` predicate (they would select nearly every line). */
#define TE_MIN_LIVE_LITERAL 8u
/* Live mode: quiet time after which a context is reported. */
#define TE_DEFAULT_QUIET_US (2 * 1000000LL)
/* Archives: members, bytes per member, and the expansion ratio guard. */
#define TE_MAX_ARCHIVE_MEMBERS 100000u
#define TE_MAX_MEMBER_BYTES (8ull << 30)
#define TE_MAX_COMPRESSION_RATIO 1000u
#define TE_MAX_DIR_DEPTH 32u
/* Entries of one directory read in a walk (they are sorted, so held in memory). */
#define TE_MAX_DIR_ENTRIES 100000u
/* zstd window a stream may demand (2^27 = 128 MiB, the library default);
 * frames made with --long=31 need more and are refused as damaged. */
#define TE_MAX_ZSTD_WINDOW_LOG 27
/* Distinct values the redactor numbers in one run (<user1>, <host2>, ...);
 * beyond it values are still hidden, with an unnumbered placeholder. */
#define TE_MAX_REDACT_VALUES 4096u
/* Read buffer of the io layer. */
#define TE_IO_BUFFER_BYTES (256u << 10)
/* Read-ahead (-j 2 on one input): buffers between the reading thread and the
 * analysing one; four keep both busy, 1 MiB in all. */
#define TE_READAHEAD_SLOTS 4u

#endif
