/* placeholder-minimal reader tool-output (being filled in): scores nothing, reads nothing. */
#include "input/reader.h"

static int sniff_none(const te_str *lines, size_t n_lines, char *why, size_t why_cap)
{
    (void)lines;
    (void)n_lines;
    if (why && why_cap)
        why[0] = '\0';
    return 0;
}
static void *create_none(const te_reader_env *env)
{
    return (void *)env;
}
static void line_none(void *state, te_str line, uint64_t lineno)
{
    const te_reader_env *env = state;
    (void)line;
    (void)lineno;
    env->summary->lines_not_understood++;
}
static void nothing(void *state)
{
    (void)state;
}

const te_reader_ops te_reader_tool_output = {"tool-output", "codesign/spctl/stapler output", sniff_none, create_none, line_none, nothing, nothing};
