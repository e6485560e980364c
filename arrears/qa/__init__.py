"""Quality assurance of what collectors say (质检): call transcripts checked turn by turn, a score
per call and per collector per week, a stratified sample for people to review, their verdicts, and
the checker's running precision against them (docs/qa.md, "Call transcripts and review")."""
