"""Step 1 of CalculateWorkflow: the Python worker that squares a base-10 integer string."""
