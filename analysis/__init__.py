"""Beyond the study (issue 10): a label suggester for every frame item and population estimates.

Plain Python (pandas, scikit-learn, ppi_py), no Dagster: ``suggester`` trains on the adjudicated
labels and predicts the whole sampling frame with grouped cross-fitting; ``population`` turns those
predictions and the labelled sample into prediction-powered shares with confidence intervals;
``warehouse`` reads the published warehouse and lands the results for dbt.
"""
