"""The dataset part: choosing a dataset and loading it in the background."""
