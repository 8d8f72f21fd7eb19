"""The two hot-path helpers of the normalizer, against the standard library they stand in for."""

import datetime
import uuid

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_envelope import NAMESPACE, event_uuid
from ansible_collections.zhmc.notifications.plugins.module_utils.normalizer_values import iso_ms

PART = st.one_of(st.none(), st.integers(), st.text())


@given(st.lists(PART, max_size=6))
def test_event_uuid_is_uuid5_of_the_joined_parts(parts):
    name = "\x1f".join("" if part is None else str(part) for part in parts)
    assert event_uuid(*parts) == str(uuid.uuid5(NAMESPACE, name))


@given(st.integers(min_value=0, max_value=253402300799999))
def test_iso_ms_formats_every_representable_time_like_datetime(millis):
    moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=millis)
    assert iso_ms(millis) == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
    assert iso_ms(str(millis)) == iso_ms(millis)


def test_iso_ms_of_unknown_or_unrepresentable_times_is_none():
    assert [iso_ms(value) for value in (-1, None, "", "soon", 253402300800000, 10**30)] == [None] * 6
    assert iso_ms(1557755398299) == "2019-05-13T13:49:58.299Z"
