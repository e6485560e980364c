"""Messages to customers: the outbox, its providers (SMTP, SMS, letters), templates."""
