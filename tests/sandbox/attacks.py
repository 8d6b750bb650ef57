"""The adversarial suite: bodies of generated factors that try to escape, each with what must stop it.

``{SECRET}``, ``{DATA}``, ``{CATALOG}``, ``{OUTSIDE}`` are filled in by the tests with paths
outside the sandbox (a secret file, the panel file given to --data, a fake workspace catalog, a
directory the code must not write to).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from rdq.sandbox import Limits

#: small limits so a bomb ends quickly; generous enough for polars to start
TEST_LIMITS = Limits(wall_s=30.0, cpu_s=20.0, memory_mb=2048, nproc=64, file_mb=32, output_kb=64)


def make_panel() -> pl.DataFrame:
    """Three dates x two assets, close = 10 * date index + asset index."""
    dates = [dt.date(2021, 1, d) for d in (4, 5, 6)]
    rows = [(d, a, float(i * 10 + j)) for i, d in enumerate(dates) for j, a in enumerate(("AAA", "BBB"))]
    return pl.DataFrame(rows, schema={"date": pl.Date, "asset": pl.String, "close": pl.Float64}, orient="row")


#: name -> (source, statuses that count as stopped)
ATTACKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "write_outside": ("def factor(panel):\n    open({OUTSIDE!r} + '/pwned', 'w').write('x')\n", ("blocked",)),
    "delete_outside": ("import os\ndef factor(panel):\n    os.remove({SECRET!r})\n", ("blocked",)),
    "read_secret": ("def factor(panel):\n    print(open({SECRET!r}).read())\n", ("blocked",)),
    "read_ssh": ("def factor(panel):\n    print(open('/root/.ssh/id_rsa').read())\n", ("blocked",)),
    "list_home": ("import os\ndef factor(panel):\n    print(os.listdir('/root'))\n", ("blocked",)),
    "read_catalog": ("def factor(panel):\n    print(open({CATALOG!r}, 'rb').read()[:10])\n", ("blocked",)),
    "read_data_file": (
        "import polars as pl\ndef factor(panel):\n    return pl.read_parquet({DATA!r}).select('date', 'asset', value='close')\n",
        ("blocked",),
    ),
    "socket": (
        "import socket\ndef factor(panel):\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n",
        ("blocked",),
    ),
    "http": (
        "import urllib.request\ndef factor(panel):\n    urllib.request.urlopen('http://example.com', timeout=2)\n",
        ("blocked",),
    ),
    "subprocess": ("import subprocess\ndef factor(panel):\n    subprocess.run(['id'])\n", ("blocked",)),
    "os_system": (
        "import os\ndef factor(panel):\n    os.system('touch ' + {OUTSIDE!r} + '/pwned')\n",
        ("blocked",),
    ),
    "fork_bomb": ("import os\ndef factor(panel):\n    while True:\n        os.fork()\n", ("blocked",)),
    "memory_bomb": (
        "def factor(panel):\n    keep = []\n    while True:\n        keep.append(bytearray(1 << 28))\n",
        ("killed",),
    ),
    "infinite_loop": ("def factor(panel):\n    while True:\n        pass\n", ("timeout", "killed")),
    "print_gigabytes": ("def factor(panel):\n    while True:\n        print('x' * 1000000)\n", ("killed",)),
    "fill_disk": (
        "def factor(panel):\n    for i in range(10000):\n        with open(f'f{{i}}.bin', 'wb') as fh:\n"
        "            fh.write(bytes(8 << 20))\n",
        ("blocked", "killed"),
    ),
    "big_file": (
        "def factor(panel):\n    with open('big.bin', 'wb') as fh:\n        for _ in range(1000):\n"
        "            fh.write(bytes(8 << 20))\n",
        ("blocked", "killed"),
    ),
    "ctypes": ("import ctypes\ndef factor(panel):\n    ctypes.CDLL(None).system(b'id')\n", ("blocked",)),
    "kill_parent": (
        "import os, signal\ndef factor(panel):\n    os.kill(os.getppid(), signal.SIGKILL)\n",
        ("blocked",),
    ),
    "symlink_out": (
        "import os\ndef factor(panel):\n    os.symlink({SECRET!r}, 'link')\n    print(open('link').read())\n",
        ("blocked",),
    ),
    "env_keys": (
        "import os\ndef factor(panel):\n    print(os.environ['OPENAI_API_KEY'])\n",
        ("blocked", "error"),
    ),
    "monkeypatch_rdq": (
        "import rdq.sandbox\ndef factor(panel):\n    rdq.sandbox.static_check = lambda *a, **k: []\n",
        ("blocked",),
    ),
    "subclasses_escape": (
        "def factor(panel):\n"
        "    for c in ().__class__.__bases__[0].__subclasses__():\n"
        "        if c.__name__ == '_wrap_close':\n"
        "            c.__init__.__globals__['system']('touch ' + {OUTSIDE!r} + '/pwned')\n",
        ("blocked",),
    ),
    "builtins_import": (
        "def factor(panel):\n    __builtins__.__import__('os').system('id')\n",
        ("blocked",),
    ),
    "importlib_trick": (
        "import importlib\ndef factor(panel):\n    importlib.import_module('subprocess').run(['id'])\n",
        ("blocked",),
    ),
    "eval_exec": ("def factor(panel):\n    exec(\"import os; os.system('id')\")\n", ("blocked",)),
}

#: attacks that must also be stopped with the static check off (a run-time layer alone)
RUNTIME_ONLY = (
    "write_outside",
    "delete_outside",
    "read_secret",
    "read_catalog",
    "read_data_file",
    "socket",
    "subprocess",
    "os_system",
    "fork_bomb",
    "ctypes",
    "kill_parent",
    "symlink_out",
    "monkeypatch_rdq",
    "subclasses_escape",
    "builtins_import",
    "importlib_trick",
    "eval_exec",
    "memory_bomb",
    "print_gigabytes",
    "big_file",
)

#: the same attacks written to get past the static check AND the import guard: the modules are taken
#: from ``sys.modules`` through an allowed module, so only the audit hook (and the OS layers) remain
_DEEP = "import warnings\nm = warnings.sys.modules\nos = m['os']\n"
DEEP_ATTACKS: dict[str, str] = {
    "deep_delete_outside": _DEEP + "def factor(panel):\n    os.remove({SECRET!r})\n",
    "deep_rename_outside": _DEEP + "def factor(panel):\n    os.rename({SECRET!r}, 'stolen.txt')\n",
    "deep_socket": _DEEP + "def factor(panel):\n    m['socket'].socket().connect(('1.1.1.1', 80))\n",
    "deep_subprocess": _DEEP + "def factor(panel):\n    m['subprocess'].run(['id'])\n",
    "deep_fork_exec": _DEEP
    + "def factor(panel):\n    m['_posixsubprocess'].fork_exec(['/bin/true'], [b'/bin/true'], True, (), None,"
    " None, -1, -1, -1, -1, -1, -1, -1, -1, False, False, False, None, None, None, -1, None, False)\n",
    "deep_os_system": _DEEP + "def factor(panel):\n    os.system('touch ' + {OUTSIDE!r} + '/pwned')\n",
    "deep_fork": _DEEP + "def factor(panel):\n    while True:\n        os.fork()\n",
    "deep_exec": _DEEP + "def factor(panel):\n    os.execv('/bin/sh', ['sh', '-c', 'id'])\n",
    "deep_ctypes": _DEEP + "def factor(panel):\n    m['ctypes'].CDLL(None).system(b'id')\n",
    "deep_kill_parent": _DEEP + "def factor(panel):\n    os.kill(os.getppid(), 9)\n",
    "deep_symlink": _DEEP + "def factor(panel):\n    os.symlink({SECRET!r}, 'link')\n",
    "deep_listdir": _DEEP + "def factor(panel):\n    print(os.listdir({OUTSIDE!r} + '/..'))\n",
    "deep_chmod": _DEEP + "def factor(panel):\n    os.chmod({SECRET!r}, 0o777)\n",
}
