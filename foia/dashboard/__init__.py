"""The dashboard: deadlines due and overdue, counts, the month grid and agency responsiveness."""
