"""Contacts: every attempt and conversation with its disposition, put to the compliance gate
first; the facts the gate decides on, built from these tables; callbacks; contact preferences."""
