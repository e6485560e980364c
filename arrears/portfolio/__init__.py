"""The portfolio: customers, contact points, accounts, installments, payments, and feed import."""
