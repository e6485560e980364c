"""Strategy (催收策略): segments and treatment paths as versioned data, the day's actions, champion /
challenger experiments and their statistics, the behavioural simulator (docs/strategy.md)."""
