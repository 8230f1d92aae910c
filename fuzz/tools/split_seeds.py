#!/usr/bin/env python3
"""split_seeds.py DUMP OUT - turns what dump_seeds.c recorded into raw seed
directories: OUT/fuzz_stanza (one recorded session per file), OUT/fuzz_form
(every jabber:x:data form), OUT/fuzz_rsm (every RSM <set/>), OUT/fuzz_config
(every configuration file the tests loaded, plus muc.conf.example)."""
import hashlib
import os
import re
import sys

FORM = re.compile(r'<x xmlns="jabber:x:data"[^>]*?(?:/>|>.*?</x>)')
RSM = re.compile(r'<set xmlns="http://jabber.org/protocol/rsm"[^>]*?(?:/>|>.*?</set>)')


def put(out, target, data):
    """Writes data under its hash (duplicates collapse)."""
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main(dump, out, example):
    for name in sorted(os.listdir(dump)):
        data = open(os.path.join(dump, name), "rb").read()
        if name.startswith("config-"):
            put(out, "fuzz_config", data)
            continue
        put(out, "fuzz_stanza", data)
        text = data.decode("utf-8", "replace")
        for m in FORM.finditer(text):
            put(out, "fuzz_form", m.group(0).encode())
        for m in RSM.finditer(text):
            put(out, "fuzz_rsm", m.group(0).encode())
    put(out, "fuzz_config", open(example, "rb").read())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
