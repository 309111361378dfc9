"""Corral's exact-config hook: Gunicorn tells the local corral-agent what it runs.

With setproctitle installed, Gunicorn's master overwrites its command line and
zeroes its environment in /proc, so the agent cannot see every input of
Gunicorn's loader and reports some settings as unknown. This module lets
Gunicorn publish its own resolved settings instead.

Enable it with one line, the LAST line of gunicorn.conf.py (after any hooks
you define, so that they are chained rather than replaced):

    from corral_hook import install; install()

install() works on the globals of the file that calls it. install(globals())
does the same explicitly, but Corral's static reading of config files cannot
follow globals() and would warn that the file's values may be incomplete.

corral_hook.py must be importable by Gunicorn: copy it into the image's
site-packages, or anywhere on PYTHONPATH. It needs only the standard library.

What it writes: $CORRAL_HOOK_DIR (default /run/corral)/gunicorn-<master pid>.json,
replaced atomically (a temporary file renamed over it), holding one JSON object:

    {"version": 1, "pid": 12, "started_at_unix": 1700000000.25,
     "written_at_unix": 1700000003.5, "gunicorn_version": "20.1.0",
     "app_uri": "wsgi:application", "worker_class": "gthread",
     "worker_class_path": "gunicorn.workers.gthread.ThreadWorker",
     "num_workers": 3, "listeners": ["http://0.0.0.0:8000"],
     "settings": {"workers": "3", "preload_app": "true", "bind": "0.0.0.0:8000",
                  "pidfile": "", "post_fork": "__config__.post_fork", ...},
     "events": {"post_fork": 3, "child_exit": 0, "worker_abort": 0,
                "nworkers_changed": 0, "reload": 0},
     "last_event": {"name": "post_fork", "unix": 1700000003.4, "worker_age": 3}}

- settings: every entry of Gunicorn's server.cfg.settings, rendered as Corral's
  snapshots render values: integers in decimal, booleans "true"/"false",
  lists comma-joined, None as "", callables and classes as module.qualname
  (a hook you defined shows as yours), host:port tuples as "host:port",
  dicts as JSON. Values longer than 4096 characters are cut there.
- worker_class: the worker Gunicorn actually runs, as a worker_class value:
  the setting itself, except "gthread" when Gunicorn swaps sync for its
  threaded worker because threads > 1 (Gunicorn's own worker_class_str calls
  that "threads", which is not a value worker_class accepts);
  settings["worker_class"] is the raw setting.
- num_workers: the master's current target, which TTIN/TTOU change at run
  time; settings["workers"] stays the configured value.
- started_at_unix: when the master process started (from /proc/self/stat), so
  the agent can tell this master's file from a leftover of an earlier master
  that had the same pid.

When it writes: from when_ready (creates the file), on_reload and
nworkers_changed (TTIN, TTOU, HUP: immediately), and after the worker-lifecycle
hooks pre_fork and child_exit at most once per second, so a crash loop cannot
turn into a write loop. An update held back by that limit must still land
without a thread or a timer signal in Gunicorn's master: when_ready wraps the
arbiter's sleep() (wait_for_signals() since Gunicorn 24.1; that one object's
attribute, nothing global), which the master's main loop calls at least once a
second, and the wrapper writes what is pending after each wait. The file therefore lags the master by about a
second at most. on_exit removes the file.

Events are bounded counters plus the last event, never a log. They are all
counted in the master, the only process that writes the file:
- post_fork: workers forked. Gunicorn calls post_fork in the new worker, whose
  memory the master never sees, so the master counts its pre_fork call, which
  precedes every fork. post_fork itself is left untouched.
- child_exit: workers the master reaped.
- worker_abort: reaped workers the master had aborted for a timeout
  (worker.aborted). Gunicorn calls worker_abort inside the dying worker, so the
  master counts it when it reaps that worker.
- nworkers_changed: changes of the target after the master was ready.
- reload: HUP reloads.

Chaining: install() wraps when_ready, on_reload, pre_fork, child_exit,
nworkers_changed and on_exit. Each wrapper runs Corral's part first, then the
function that would have run without Corral (yours, or Gunicorn's default)
with the same arguments, returning its result and letting its exceptions
propagate exactly as before. A hook you define after the install() line is
adopted when the master becomes ready or reloads (except when_ready itself,
which must be defined before the line). Removing the line takes effect at the
next start, not at a reload: until the master exits, its file keeps the last
state written.

Cost when no agent listens: if the directory is missing or not writable when
the master becomes ready (or reloads), the hook logs that once at debug level
and does nothing else. Corral's own failures never reach Gunicorn: they are
caught and logged once through Gunicorn's logger.
"""

import importlib
import json
import os
import sys
import time

VERSION = 1
DEFAULT_DIR = "/run/corral"
_MAX_VALUE_CHARS = 4096
_MIN_WRITE_INTERVAL = 1.0
_IMPORTED_AT = time.time()


class _State(object):
    """Master-side state. The module is imported once per process, so it
    survives config reloads, which re-execute gunicorn.conf.py."""

    def __init__(self):
        self.master_pid = 0
        self.ready = False
        self.directory = None  # None: publishing is off
        self.started_at = None
        self.events = {"post_fork": 0, "child_exit": 0, "worker_abort": 0, "nworkers_changed": 0, "reload": 0}
        self.last_event = None
        self.last_write = None  # time.monotonic() of the last write
        self.dirty = False
        self.writing = False
        self.logged = set()


_state = _State()


def _log_once(server, key, level, message, *args):
    if key in _state.logged:
        return
    _state.logged.add(key)
    try:
        getattr(server.log, level)("corral hook: " + message, *args)
    except Exception:
        pass


def _process_start_unix():
    # The agent computes a master's start the same way, from /proc.
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
        start_ticks = int(stat[stat.rindex(")") + 2:].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - (uptime - start_ticks / float(os.sysconf("SC_CLK_TCK")))
    except Exception:
        return _IMPORTED_AT


def _qualified_name(obj):
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name is None:
        cls = type(obj)
        module, name = cls.__module__, cls.__qualname__
    return "%s.%s" % (module, name) if module else name


def _render(value, hostport=False):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))  # IntEnum members (ssl_version) print as numbers
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hostport and isinstance(value, tuple) and len(value) == 2:
        return "%s:%s" % (value[0], value[1])
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_render(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if callable(value):
        return _qualified_name(value)
    return str(value)


def _settings(cfg):
    out = {}
    for name, setting in cfg.settings.items():
        try:
            validator = getattr(type(setting), "validator", None)
            # statsd_host: validate_hostport in 20.1, validate_statsd_address
            # (also a (host, port) tuple) since 21.0.
            hostport = getattr(validator, "__name__", "") in ("validate_hostport", "validate_statsd_address")
            text = _render(setting.get(), hostport)
        except Exception:
            continue  # the agent keeps its own reconstruction of this one
        out[name] = text[:_MAX_VALUE_CHARS]
    return out


def _worker_class(server):
    raw = server.cfg.settings["worker_class"].get()
    used = _qualified_name(server.worker_class)
    if isinstance(raw, str) and getattr(server.cfg, "worker_class_str", raw) == raw:
        return raw
    try:
        from gunicorn.workers import SUPPORTED_WORKERS

        for name, path in SUPPORTED_WORKERS.items():
            if path == used:
                return name
    except Exception:
        pass
    return used


def _report(server):
    cfg = server.cfg
    try:
        import gunicorn

        gunicorn_version = getattr(gunicorn, "__version__", "")
    except Exception:
        gunicorn_version = ""
    app_uri = getattr(getattr(server, "app", None), "app_uri", None)
    report = {
        "version": VERSION,
        "pid": _state.master_pid,
        "started_at_unix": round(_state.started_at, 3),
        "written_at_unix": round(time.time(), 3),
        "gunicorn_version": gunicorn_version,
        "app_uri": app_uri if isinstance(app_uri, str) else "",
        "worker_class": _worker_class(server),
        "worker_class_path": _qualified_name(server.worker_class),
        "num_workers": int(server.num_workers),
        "listeners": [str(listener) for listener in server.LISTENERS],
        "settings": _settings(cfg),
        "events": dict(_state.events),
    }
    if _state.last_event is not None:
        report["last_event"] = _state.last_event
    return report


def _paths():
    name = "gunicorn-%d.json" % _state.master_pid
    return os.path.join(_state.directory, name), os.path.join(_state.directory, "." + name + ".tmp")


def _choose_directory(server):
    directory = os.environ.get("CORRAL_HOOK_DIR") or DEFAULT_DIR
    if os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
        _state.directory = directory
        return
    _state.directory = None
    _log_once(server, "no-dir:" + directory, "debug", "%s is missing or not writable; not publishing", directory)


def _publish(server, force):
    """Writes the file now, or marks it dirty when the once-per-second limit
    (force=False) or a write already in progress holds it back."""
    if not _state.ready or _state.directory is None or os.getpid() != _state.master_pid:
        return
    now = time.monotonic()
    # child_exit runs inside Gunicorn's SIGCHLD handler and can interrupt a
    # write in progress: never interleave two writes of the same file.
    if _state.writing or (not force and _state.last_write is not None and now - _state.last_write < _MIN_WRITE_INTERVAL):
        _state.dirty = True
        return
    _state.writing = True
    try:
        data = json.dumps(_report(server), sort_keys=True, separators=(",", ":")).encode("utf-8")
        path, tmp = _paths()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _state.last_write = now
        _state.dirty = False
    except Exception as e:
        _log_once(server, "write", "warning", "cannot write %s: %s", _state.directory, e)
    finally:
        _state.writing = False


def _event(name, **fields):
    fields["name"] = name
    fields["unix"] = round(time.time(), 3)
    _state.last_event = fields


def _watch_main_loop(server):
    # The master's main loop waits at most a second per turn: in sleep()
    # up to 24.0, in wait_for_signals(timeout) since 24.1.
    name = "wait_for_signals" if hasattr(server, "wait_for_signals") else "sleep"
    original = getattr(server, name, None)
    if original is None or getattr(original, "_corral_hook", False):
        return

    def waited(*args, **kwargs):
        result = original(*args, **kwargs)
        if _state.dirty:
            try:
                _publish(server, force=False)
            except Exception:
                pass
        return result

    waited._corral_hook = True
    setattr(server, name, waited)


def _on_when_ready(server):
    _state.master_pid = server.pid
    _state.started_at = _process_start_unix()
    _state.ready = True
    _choose_directory(server)
    if _state.directory is not None:
        _watch_main_loop(server)
    _adopt(server)
    _publish(server, force=True)


def _on_reload(server):
    _state.events["reload"] += 1
    _event("reload")
    _choose_directory(server)
    if _state.directory is not None:
        _watch_main_loop(server)
    _adopt(server)
    _publish(server, force=True)


def _on_pre_fork(server, worker):
    if not _state.ready:
        return
    _state.events["post_fork"] += 1
    _event("post_fork", worker_age=int(getattr(worker, "age", 0)))
    _publish(server, force=False)


def _on_child_exit(server, worker):
    if not _state.ready:
        return
    _state.events["child_exit"] += 1
    aborted = bool(getattr(worker, "aborted", False))
    if aborted:
        _state.events["worker_abort"] += 1
    _event("child_exit", worker_pid=int(getattr(worker, "pid", 0) or 0), aborted=aborted)
    _publish(server, force=False)


def _on_nworkers_changed(server, new_value, old_value):
    # Gunicorn also calls this while it sets up, before the master is ready:
    # that is the initial value, not a change.
    if not _state.ready:
        return
    _state.events["nworkers_changed"] += 1
    _event("nworkers_changed", new_value=new_value, old_value=old_value)
    _adopt(server)
    _publish(server, force=True)


def _on_exit(server):
    if not _state.ready or _state.directory is None or os.getpid() != _state.master_pid:
        return
    path, _ = _paths()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


_OURS = {
    "when_ready": _on_when_ready,
    "on_reload": _on_reload,
    "pre_fork": _on_pre_fork,
    "child_exit": _on_child_exit,
    "nworkers_changed": _on_nworkers_changed,
    "on_exit": _on_exit,
}


def _gunicorn_default(name):
    from gunicorn import config

    for setting in config.KNOWN_SETTINGS:
        if setting.name == name:
            return setting.default
    return None


def _resolve(value):
    """A callable as Gunicorn's validate_callable would accept it, or None."""
    if isinstance(value, str):
        try:
            module_name, attribute = value.rsplit(".", 1)
            value = getattr(importlib.import_module(module_name), attribute)
        except Exception:
            return None
    return value if callable(value) else None


def _chain(name, theirs):
    ours = _OURS[name]

    def hook(*args):
        try:
            ours(*args)
        except Exception as e:
            _log_once(args[0], "hook:" + name, "warning", "%s failed: %s", name, e)
        return theirs(*args)

    # The wrapper takes the wrapped function's name (settings show the hook
    # that would run without Corral) and, through __wrapped__, its signature,
    # so Gunicorn's arity check judges the user's function as before.
    try:
        hook.__module__ = getattr(theirs, "__module__", hook.__module__)
        hook.__qualname__ = getattr(theirs, "__qualname__", None) or getattr(theirs, "__name__", hook.__qualname__)
        hook.__name__ = getattr(theirs, "__name__", hook.__name__)
        hook.__doc__ = getattr(theirs, "__doc__", None)
    except Exception:
        pass
    hook.__wrapped__ = theirs
    hook._corral_hook = True
    return hook


def _adopt(server):
    """Wraps hooks that replaced Corral's after install() ran."""
    for name in _OURS:
        if name == "when_ready":
            continue
        try:
            current = server.cfg.settings[name].get()
            if not getattr(current, "_corral_hook", False):
                server.cfg.set(name, _chain(name, current))
        except Exception as e:
            _log_once(server, "adopt:" + name, "debug", "cannot chain %s: %s", name, e)


def install(namespace=None):
    """Chains Corral's hooks into `namespace`, the globals of a Gunicorn config
    file; by default, those of the module that calls install(). Safe to call
    more than once. Never raises."""
    try:
        if namespace is None:
            namespace = sys._getframe(1).f_globals
    except Exception:
        return
    for name in _OURS:
        try:
            theirs = namespace.get(name)
            if getattr(theirs, "_corral_hook", False):
                continue
            if theirs is None:
                theirs = _gunicorn_default(name)
            else:
                theirs = _resolve(theirs)
            if theirs is None:
                continue  # Gunicorn will refuse the value itself, as it would without Corral
            namespace[name] = _chain(name, theirs)
        except Exception:
            continue
