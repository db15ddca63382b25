"""Order ids sort in creation order, which newest-first paging relies on."""

from process_apis.orders.repository import new_order_id


def test_ids_made_within_one_millisecond_still_sort_in_creation_order() -> None:
    ids = [new_order_id() for _ in range(2000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 30 and i.startswith("ord_") for i in ids)
