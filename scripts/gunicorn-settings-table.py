#!/usr/bin/env python3
"""Writes Corral's settings table for one Gunicorn release line.

Corral reads Gunicorn's command lines, GUNICORN_CMD_ARGS and config files
with the settings of the release each master runs. Each table is generated
from that release's own gunicorn/config.py, so adding a release is one
command and a commit:

    scripts/gunicorn-settings-table.py DIR [--origin TEXT]

DIR holds the release's `gunicorn` package (a dist-packages directory, an
unpacked wheel or sdist, a checkout of a release tag). The script imports
gunicorn.config from there with a clean environment, writes
gunicorn/tables/release_MAJOR_MINOR.inc and regenerates the list of tables,
gunicorn/tables/releases.inc. Run it with /usr/bin/python3 (any Python the
release supports).

A validator this script has not met stops it: say in VALIDATORS what the
new validator accepts, then run it again.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES = ROOT / "gunicorn" / "tables"

# Gunicorn's validator function -> (Corral's Validator, accepted choices).
# Choices are what the validator accepts, lower-cased, as Gunicorn stores
# them; an empty tuple means the kind alone says what is valid.
VALIDATORS = {
    "validate_pos_int": ("kPosInt", ()),
    "validate_bool": ("kBool", ()),
    "validate_string": ("kString", ()),
    "validate_list_string": ("kListString", ()),
    # Paths are checked against the master's files by Gunicorn; statically a
    # list of strings.
    "validate_list_of_existing_files": ("kListString", ()),
    "validate_list_of_files_or_patterns": ("kListString", ()),
    "validate_string_to_list": ("kStringToList", ()),
    "validate_string_to_addr_list": ("kStringToList", ()),
    "validate_class": ("kClass", ()),
    "validate_user": ("kUser", ()),
    "validate_group": ("kGroup", ()),
    "validate_chdir": ("kChdir", ()),
    "validate_hostport": ("kHostPort", ()),
    "validate_statsd_address": ("kStatsdAddress", ()),
    "validate_reload_engine": ("kChoice", ("auto", "poll", "inotify")),
    "validate_dict": ("kDict", ()),
    "_validate_callable": ("kCallable", ()),
    "validate_post_request": ("kCallable", ()),
    "validate_ssl_version": ("kSslVersion", ()),
    "validate_header_map_behaviour": ("kChoice", ("drop", "refuse", "dangerous")),
    "validate_asgi_loop": ("kChoice", ("auto", "asyncio", "uvloop")),
    "validate_asgi_lifespan": ("kChoice", ("auto", "on", "off")),
    "validate_http_parser": ("kChoice", ("auto", "fast", "python")),
    "validate_http2_cleartext": ("kChoice", ("off", "prior-knowledge", "upgrade", "both")),
    "validate_proxy_protocol": ("kProxyProtocol", ()),
    "validate_http_protocols": ("kProtocolList", ("h1", "h2")),
    "validate_http2_frame_size": ("kPosInt", ()),
    "validate_http2_stream_limit": ("kPosInt", ()),
    "validate_http2_window_size": ("kPosInt", ()),
}

ACTIONS = {
    None: "kStore",
    "store": "kStore",
    "store_true": "kStoreTrue",
    "store_const": "kStoreConst",
    "append": "kAppend",
}

# Defaults that depend on the process rather than the environment: the
# reconstruction computes them per master.
PROCESS_DEFAULTS = {"chdir", "user", "group"}

# Imports gunicorn.config from sys.argv[1] and prints one line per setting.
# Run twice, under two environments, to tell which defaults come from it.
DUMP = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import gunicorn, gunicorn.config as c
rows = []
for cls in c.KNOWN_SETTINGS:
    s = cls()
    rows.append({
        "name": s.name,
        "cli": list(s.cli or []),
        "action": s.action,
        "type": getattr(s.type, "__name__", None) if s.type is not None else None,
        "validator": getattr(s.validator, "__name__", repr(s.validator)),
        "default": repr(s.value) if not callable(s.value) else "<callable>",
        "shown": s.value if isinstance(s.value, (str, int, bool, list, tuple, type(None))) else None,
        "nargs": s.nargs,
        "const": s.const,
    })
print(json.dumps({"version": gunicorn.__version__, "settings": rows}))
"""

ENV_A = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent-a"}
ENV_B = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent-b", "WEB_CONCURRENCY": "7", "PORT": "7999",
         "FORWARDED_ALLOW_IPS": "192.0.2.7", "XDG_RUNTIME_DIR": "/tmp"}


def dump(source, env):
    import json
    out = subprocess.run([sys.executable, "-c", DUMP, str(source)], env=env, check=True,
                         capture_output=True, text=True, cwd="/")
    return json.loads(out.stdout)


def shown(value):
    """A default as Corral shows values: lists comma-separated, booleans lower case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(shown(v) for v in value)
    return str(value)


def cxx_string(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def row(setting, from_env):
    name = setting["name"]
    validator = setting["validator"]
    if validator not in VALIDATORS:
        sys.exit(f"gunicorn-settings-table: {name} uses {validator}, which VALIDATORS does not know; "
                 "say what it accepts there and run again")
    kind, choices = VALIDATORS[validator]
    if not setting["cli"]:
        action = "kNoFlag"
    elif setting["nargs"] == "?":
        action = "kStoreOptional"
    elif setting["nargs"] is not None:
        sys.exit(f"gunicorn-settings-table: {name} has nargs={setting['nargs']!r}, which Corral does not parse")
    else:
        action = ACTIONS.get(setting["action"])
        if action is None:
            sys.exit(f"gunicorn-settings-table: {name} has action {setting['action']!r}, which Corral does not parse")
    arg_type = {"int": "kInt", "auto_int": "kAutoInt"}.get(setting["type"], "kStr")
    flags = ", ".join(cxx_string(f) for f in setting["cli"])
    # An environment-dependent default is written as it is with the variable
    # unset, unless it is built from $HOME (control_socket).
    default = shown(setting["shown"])
    if name in PROCESS_DEFAULTS or kind in ("kCallable", "kDict") or ENV_A["HOME"] in default:
        default = ""
    const = "" if setting["const"] is None else shown(setting["const"])
    origin = "kEnvironment" if from_env else ("kProcess" if name in PROCESS_DEFAULTS else "kStatic")
    return (f'    {{{cxx_string(name)}, {{{flags}}}, A::{action}, T::{arg_type}, V::{kind}, '
            f'{cxx_string(default)}, {cxx_string(const)}, D::{origin}, {cxx_string("|".join(choices))}}},')


def write_index():
    releases = []
    for path in TABLES.glob("release_*.inc"):
        m = re.fullmatch(r"release_(\d+)_(\d+)\.inc", path.name)
        if m:
            releases.append((int(m.group(1)), int(m.group(2)), path.name))
    releases.sort()
    lines = ["// Generated by scripts/gunicorn-settings-table.py: every table in this",
             "// directory, oldest release first. Do not edit.", ""]
    for major, minor, name in releases:
        lines.append(f'#include "gunicorn/tables/{name}"')
    lines.append("")
    lines.append("#define CORRAL_GUNICORN_RELEASES(X) \\")
    lines.append(" \\\n".join(f"  X({major}, {minor})" for major, minor, _ in releases))
    lines.append("")
    (TABLES / "releases.inc").write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a directory holding the release's gunicorn package")
    parser.add_argument("--origin", default="",
                        help="where the release came from, for the table's comment (a Debian package, a tag)")
    parser.add_argument("--check", action="store_true",
                        help="do not write: exit 1 when the committed table differs from the generated one, "
                             "3 when the release line has no table yet")
    args = parser.parse_args()
    source = pathlib.Path(args.source).resolve()
    if not (source / "gunicorn" / "config.py").is_file():
        sys.exit(f"gunicorn-settings-table: {source} holds no gunicorn/config.py")
    a = dump(source, ENV_A)
    b = dump(source, ENV_B)
    version = a["version"]
    major, minor = (int(x) for x in version.split(".")[:2])
    b_defaults = {s["name"]: s["default"] for s in b["settings"]}
    rows = [row(s, s["default"] != b_defaults.get(s["name"])) for s in a["settings"]]
    origin = args.origin or f"gunicorn/config.py of Gunicorn {version}"
    text = "\n".join([
        f"// Gunicorn {major}.{minor}'s settings, generated by scripts/gunicorn-settings-table.py",
        f"// from {origin}. Do not edit.",
        f"// Gunicorn's order: name, flags, argparse action and type, validator, default",
        f"// (with the environment's variables unset; empty where it comes from the",
        f"// process or $HOME), store_const/nargs value, where the default comes from,",
        f"// accepted choices.",
        f"CORRAL_GUNICORN_TABLE({major}, {minor}, {cxx_string(version)}, {len(rows)})",
        *rows,
        "CORRAL_GUNICORN_TABLE_END",
        "",
    ])
    target = TABLES / f"release_{major}_{minor}.inc"
    if args.check:
        if not target.exists():
            print(f"Corral has no table for Gunicorn {major}.{minor} ({version}); run this script without --check "
                  "to add it", file=sys.stderr)
            sys.exit(3)
        current = target.read_text()
        # The origin comment names where a table came from; compare the rest.
        strip = lambda t: "\n".join(l for l in t.splitlines() if not l.startswith("// from "))
        if strip(current) != strip(text):
            print(f"{target.relative_to(ROOT)} differs from Gunicorn {version}'s config.py", file=sys.stderr)
            sys.exit(1)
        print(f"{target.relative_to(ROOT)} matches Gunicorn {version}")
        return
    TABLES.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    write_index()
    print(f"wrote {target.relative_to(ROOT)} ({len(rows)} settings of Gunicorn {version})")


if __name__ == "__main__":
    main()
