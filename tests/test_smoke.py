async def test_guest_price(hub):
    key = await hub.new_key("catalog:read")
    r = await hub.http.get("/v1/storefront/products/SKU-1001", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    assert r.json()["unit_price"] == "129.00"
