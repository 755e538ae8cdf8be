/* The list of readers (in the order that breaks sniff ties) and the lookup of
 * a reader by the name or alias given to --input-format. */
#include <string.h>
#include <strings.h>

#include "input/reader.h"

extern const te_reader_ops te_reader_log_default;
extern const te_reader_ops te_reader_log_syslog;
extern const te_reader_ops te_reader_log_compact;
extern const te_reader_ops te_reader_log_json;
extern const te_reader_ops te_reader_log_ndjson;
extern const te_reader_ops te_reader_jsonl_mandiant;
extern const te_reader_ops te_reader_loose;
extern const te_reader_ops te_reader_console;
extern const te_reader_ops te_reader_crash_text;
extern const te_reader_ops te_reader_crash_ips;
extern const te_reader_ops te_reader_notarytool;
extern const te_reader_ops te_reader_tool_output;

static const te_reader_ops *const all_readers[] = {
    &te_reader_log_default,
    &te_reader_log_syslog,
    &te_reader_log_compact,
    &te_reader_log_json,
    &te_reader_log_ndjson,
    &te_reader_jsonl_mandiant,
    &te_reader_loose,
    &te_reader_console,
    &te_reader_crash_text,
    &te_reader_crash_ips,
    &te_reader_notarytool,
    &te_reader_tool_output,
    NULL,
};

/* Short names users type, mapped to reader names. */
static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"default", "log-default"}, {"syslog", "log-syslog"}, {"compact", "log-compact"},
    {"json", "log-json"},       {"ndjson", "log-ndjson"}, {"mandiant", "jsonl"},
    {"ips", "crash-ips"},       {"text", "crash-text"},
};

const te_reader_ops *const *te_readers_all(void)
{
    return all_readers;
}

const te_reader_ops *te_reader_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcasecmp(name, aliases[i].alias) == 0) {
            name = aliases[i].name;
            break;
        }
    }
    for (size_t i = 0; all_readers[i]; i++)
        if (strcasecmp(name, all_readers[i]->name) == 0) return all_readers[i];
    return NULL;
}
