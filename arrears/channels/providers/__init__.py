"""The providers a message goes out through, one interface (:mod:`.base`): SMTP for e-mail, an
SMS provider's HTTP API, letters as PDF files, and the file sinks of the embedded default."""
