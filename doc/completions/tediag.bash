# bash completion for tediag
_tediag() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
    case "$prev" in
        -f|--format) COMPREPLY=($(compgen -W "text json ndjson markdown" -- "$cur")); return ;;
        --color|--colour) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --min-severity) COMPREPLY=($(compgen -W "info warning error" -- "$cur")); return ;;
        -I|--input-format) COMPREPLY=($(compgen -W "$(tediag events --list-formats 2>/dev/null)" -- "$cur")); return ;;
        explain) COMPREPLY=($(compgen -W "$(tediag rules list 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
        rules) COMPREPLY=($(compgen -W "list check test" -- "$cur")); return ;;
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "--format --color --redact --min-severity --quiet --input-format --live --no-live --flush-after --explain-format --list-formats --rules --no-default-rules --suppress --dry-run --help --version" -- "$cur"))
    elif [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "events rules explain live" -- "$cur") $(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _tediag tediag
