"""Cases: the collections work for one customer, opened, updated and closed by the nightly batch."""
