"""Journeys: an order's or a return's timeline across every layer, found by any identifier it has had."""
