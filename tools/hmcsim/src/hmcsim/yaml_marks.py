"""YAML loading that remembers line numbers, so scenario errors can point at file, line and field."""

import yaml


class MarkedDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line = 0
    key_lines: dict


class MarkedList(list):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line = 0
    item_lines: list


class _MarkedLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences are Marked* containers."""

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        result = MarkedDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _MarkedLoader.construct_mapping)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _MarkedLoader.construct_sequence)


def load_marked(text: str):
    """Parse YAML text into Marked containers (raises yaml.YAMLError with its own marks)."""
    return yaml.load(text, Loader=_MarkedLoader)
