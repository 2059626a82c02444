"""Values for the fuzz tests: JSON of every type, odd numbers and text, and huge strings."""

from hypothesis import strategies as st

FRAME_LIMIT = 64 * 1024  # REALTIME_MAX_FRAME_BYTES

# Text that a websocket or a JSON body can carry: any Unicode scalar value (no lone
# surrogates).
text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**300)
    | st.integers(min_value=-(2**300), max_value=-1)
    | st.floats()  # NaN and the infinities included: Python's json writes and reads them
    | text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=10,
)
# Around the frame limit, in characters of 1 to 4 bytes in UTF-8.
huge_strings = st.builds(
    lambda char, length: char * length,
    st.sampled_from(["x", "é", "€", "𝄞"]),
    st.integers(min_value=1000, max_value=FRAME_LIMIT + 64),
)
odd_values = json_values | huge_strings

# What Python's json reads but JSON has not (json.dumps writes them as NaN, Infinity,
# -Infinity), text with NUL bytes (which PostgreSQL text cannot hold), and nesting past
# the depth at which Python's json parser gives up (about 1000).
non_finite = st.sampled_from([float("nan"), float("inf"), float("-inf")])
nul_text = st.builds(lambda before, after: before + "\x00" + after, text, text)
hostile_values = non_finite | nul_text | st.integers(min_value=2**64, max_value=10**400)


def nested_json(depth: int, kind: str = "[]", leaf: str = "1") -> str:
    """JSON text of `leaf` inside `depth` arrays or objects."""
    opening, closing = ("[", "]") if kind == "[]" else ('{"a": ', "}")
    return opening * depth + leaf + closing * depth


deeply_nested_json = st.builds(
    nested_json, st.integers(min_value=1, max_value=5000), st.sampled_from(["[]", "{}"])
)
