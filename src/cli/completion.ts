/** Shell completion scripts generated from the commander tree, so they never drift from it. */
import type { Command, Option } from "commander";

interface Node {
  path: string;
  subcommands: string[];
  options: string[];
}

/** Words a command takes as its first argument, offered beside its subcommands. */
const argumentWords = new WeakMap<Command, readonly string[]>();

/** Offer `words` when completing the first argument of `cmd`, as if they were subcommands. */
export function completeArgument(cmd: Command, words: readonly string[]): void {
  argumentWords.set(cmd, words);
}

function longFlags(options: readonly Option[]): string[] {
  return options.flatMap((o) => (o.long ? [o.long] : []));
}

export function commandNodes(program: Command): Node[] {
  const globals = longFlags(program.options).concat("--help");
  const nodes: Node[] = [];
  const walk = (cmd: Command, path: string) => {
    nodes.push({
      path,
      subcommands: [...cmd.commands.map((c) => c.name()), ...(argumentWords.get(cmd) ?? [])],
      options: [...new Set([...longFlags(cmd.options), ...globals])],
    });
    for (const sub of cmd.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, "");
  return nodes;
}

/** Flags that take a value, so the word after them is not a subcommand. */
function valueFlags(program: Command): string[] {
  const flags = new Set<string>();
  const walk = (cmd: Command) => {
    for (const o of cmd.options) if (o.long && (o.required || o.optional)) flags.add(o.long);
    cmd.commands.forEach(walk);
  };
  walk(program);
  return [...flags];
}

function bashFunction(program: Command): string {
  const nodes = commandNodes(program);
  const subs = nodes.map((n) => `    "${n.path}") echo "${n.subcommands.join(" ")}" ;;`).join("\n");
  const opts = nodes.map((n) => `    "${n.path}") echo "${n.options.join(" ")}" ;;`).join("\n");
  return `_gg4l_subs() {
  case "$1" in
${subs}
  esac
}
_gg4l_opts() {
  case "$1" in
${opts}
  esac
}
_gg4l() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" skip=0 i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      ${valueFlags(program).join("|")}) skip=1; continue ;;
      -*) continue ;;
    esac
    if [[ " $(_gg4l_subs "$path") " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_gg4l_opts "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_gg4l_subs "$path")" -- "$cur"))
  fi
}
complete -F _gg4l gg4l
`;
}

function fishScript(program: Command): string {
  const nodes = commandNodes(program);
  const paths = nodes.filter((n) => n.path).map((n) => `'${n.path}'`);
  const lines = [
    "# gg4l completion for fish: gg4l completion fish > ~/.config/fish/completions/gg4l.fish",
    `set -g __gg4l_paths ${paths.join(" ")}`,
    "function __gg4l_path",
    "  set -l tokens (commandline -opc)",
    "  set -e tokens[1]",
    "  set -l path ''",
    "  for t in $tokens",
    "    if string match -q -- '-*' $t; continue; end",
    '    set -l next (string trim -- "$path $t")',
    "    if contains -- $next $__gg4l_paths; set path $next; end",
    "  end",
    "  echo $path",
    "end",
    'function __gg4l_at; test (__gg4l_path) = "$argv[1]"; end',
  ];
  for (const node of nodes) {
    const at = `__gg4l_at '${node.path}'`;
    if (node.subcommands.length > 0)
      lines.push(`complete -c gg4l -f -n "${at}" -a '${node.subcommands.join(" ")}'`);
    for (const flag of node.options) lines.push(`complete -c gg4l -n "${at}" -l ${flag.slice(2)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function completionScript(program: Command, shell: "bash" | "zsh" | "fish"): string {
  if (shell === "fish") return fishScript(program);
  if (shell === "zsh") {
    return `#compdef gg4l\n# gg4l completion for zsh: gg4l completion zsh > "\${fpath[1]}/_gg4l"\nautoload -U +X bashcompinit && bashcompinit\n${bashFunction(program)}`;
  }
  return `# gg4l completion for bash: source <(gg4l completion bash)\n${bashFunction(program)}`;
}
