#!/usr/bin/env python3
"""Writes the plugin's documentation cache, gst_plugins_cache.json, in the layout GStreamer's own
plugin sets keep (one entry per plugin: elements, pad templates, properties, other types).

    gst_plugins_cache.py PLUGIN.so OUTPUT.json

Upstream produces that file with gst-plugins-doc-cache-generator and gst-hotdoc-plugins-scanner
from GStreamer's hotdoc tooling, which Debian 12 does not package; this reads the same facts
through GObject introspection (python3-gi, gir1.2-gstreamer-1.0) from the built plugin, so the
file is what gst-inspect-1.0 shows. The build writes it to build/docs/ and a test compares it
with the copy kept in docs/ (`ninja -C build update-plugins-cache` refreshes that copy).
"""
import json
import re
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402


def value_string(pspec, value):
    if value is None:
        return "NULL"
    t = pspec.value_type
    if t.is_a(GObject.TYPE_ENUM):
        v = int(value)
        return "%s (%d)" % (pspec.enum_class.__enum_values__[v].value_nick, v)
    if t == GObject.TYPE_BOOLEAN:
        return "true" if value else "false"
    if t in (GObject.TYPE_DOUBLE, GObject.TYPE_FLOAT):
        return "%g" % value
    return str(value)


def mutable(flags):
    for flag, name in ((Gst.PARAM_MUTABLE_PLAYING, "playing"), (Gst.PARAM_MUTABLE_PAUSED, "paused"),
                       (Gst.PARAM_MUTABLE_READY, "ready")):
        if flags & flag:
            return name
    return "null"


def split_fields(text):
    """Splits a serialized structure at the commas outside brackets and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, c in enumerate(text):
        if c == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and c in "{[<(":
            depth += 1
        elif not quoted and c in "}]>)":
            depth -= 1
        elif not quoted and depth == 0 and c == ",":
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def caps_string(caps):
    """One line per field under each structure name, without type names, as the upstream caches
    and gst-inspect-1.0 write caps."""
    out = []
    for i in range(caps.get_size()):
        s = caps.get_structure(i)
        fields = split_fields(s.to_string().rstrip(";"))
        out.append(fields[0] + ":")
        for f in fields[1:]:
            name, _, value = f.partition("=")
            out.append("%15s: %s" % (name, re.sub(r"\(\w+\)", "", value)))
    return "\n".join(out) + "\n"


def enum_type(t, pspec):
    values = sorted(pspec.enum_class.__enum_values__.items())
    return {"kind": "enum",
            "values": [{"desc": v.value_name, "name": v.value_nick, "value": str(k)} for k, v in values]}


def element_entry(factory, other_types):
    gtype = factory.get_element_type()
    hierarchy = []
    t = gtype
    while t != GObject.TYPE_INVALID:
        hierarchy.append(t.name)
        t = t.parent
    element = factory.create(None)
    props = {}
    for p in element.list_properties():
        if p.owner_type != gtype:  # inherited ones are documented with their base class
            continue
        flags = int(p.flags)
        entry = {
            "blurb": p.blurb,
            "conditionally-available": bool(flags & Gst.PARAM_CONDITIONALLY_AVAILABLE),
            "construct": bool(flags & GObject.ParamFlags.CONSTRUCT),
            "construct-only": bool(flags & GObject.ParamFlags.CONSTRUCT_ONLY),
            "controllable": bool(flags & Gst.PARAM_CONTROLLABLE),
            "default": value_string(p, getattr(p, "default_value", None)),
            "mutable": mutable(flags),
            "readable": bool(flags & GObject.ParamFlags.READABLE),
            "type": p.value_type.name,
            "writable": bool(flags & GObject.ParamFlags.WRITABLE),
        }
        if hasattr(p, "minimum") and hasattr(p, "maximum") and not p.value_type.is_a(GObject.TYPE_ENUM):
            entry["min"] = value_string(p, p.minimum)
            entry["max"] = value_string(p, p.maximum)
        if p.value_type.is_a(GObject.TYPE_ENUM):
            other_types[p.value_type.name] = enum_type(p.value_type, p)
        props[p.name] = entry
    pads = {}
    for tpl in factory.get_static_pad_templates():
        pads[tpl.name_template] = {
            "caps": caps_string(tpl.get_caps()),
            "direction": tpl.direction.value_nick,
            "presence": tpl.presence.value_nick,
        }
    rank = factory.get_rank()
    ranks = {0: "none", 64: "marginal", 128: "secondary", 256: "primary"}
    return {
        "author": factory.get_metadata("author"),
        "description": factory.get_metadata("description"),
        "hierarchy": hierarchy,
        "klass": factory.get_metadata("klass"),
        "long-name": factory.get_metadata("long-name"),
        "pad-templates": pads,
        "properties": props,
        "rank": ranks.get(rank, str(rank)),
    }


def main(plugin_path, out_path):
    Gst.init(None)
    plugin = Gst.Plugin.load_file(plugin_path)
    registry = Gst.Registry.get()
    registry.add_plugin(plugin)
    elements, other_types = {}, {}
    for feature in registry.get_feature_list_by_plugin(plugin.get_name()):
        if isinstance(feature, Gst.ElementFactory):
            elements[feature.get_name()] = element_entry(feature, other_types)
    filename = plugin.get_filename().rsplit("/", 1)[-1]
    filename = filename[3:] if filename.startswith("lib") else filename
    cache = {plugin.get_name(): {
        "description": plugin.get_description(),
        "elements": elements,
        "filename": filename.rsplit(".", 1)[0],
        "license": plugin.get_license(),
        "other-types": other_types,
        "package": plugin.get_package(),
        "source": plugin.get_source(),
        "tracers": {},
        "url": plugin.get_origin(),
    }}
    with open(out_path, "w") as f:
        json.dump(cache, f, indent=4, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
