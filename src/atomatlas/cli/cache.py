"""Show or clear atomatlas's cache: computed descriptors and generated datasets.

Descriptors are cached by a hash of the structures, the parameters, the descriptor code
and the library versions, and verified against a checksum whenever they are read: a
damaged entry is removed and recomputed, never used. The cache lives in
$ATOMATLAS_CACHE (default ~/.cache/atomatlas; ATOMATLAS_CACHE=off turns it off).
"""

from __future__ import annotations

EXAMPLES = """examples:
  atomatlas cache info
  atomatlas cache clear --descriptors
  atomatlas cache clear
"""


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("info", "clear"), help="info: where and how big; clear: remove entries")
    parser.add_argument("--descriptors", action="store_true", help="clear only computed descriptors")
    parser.add_argument("--datasets", action="store_true", help="clear only generated datasets")


def run(args) -> int:
    from atomatlas.io import cache

    if args.action == "info":
        summary = cache.info()
        if summary["root"] is None:
            print("cache: off (ATOMATLAS_CACHE=off); descriptors are recomputed every run")
        else:
            print(f"cache: {summary['root']}")
        for kind in cache.KINDS:
            part = summary[kind]
            if part["folder"] is not None:
                print(f"  {kind}: {part['entries']} entries, {part['bytes'] / 1e6:.1f} MB in {part['folder']}")
        return 0
    kinds = [k for k, chosen in (("descriptors", args.descriptors), ("datasets", args.datasets)) if chosen] \
        or list(cache.KINDS)
    removed = cache.clear(kinds)
    print(f"cache: removed {removed} file(s) of {' and '.join(kinds)}")
    return 0
