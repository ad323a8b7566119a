"""Research reports: facts from the bank data, judged by named rules, written as sections."""
