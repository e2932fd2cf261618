"""The executive portfolio dashboard: filters, aggregate selectors, Plotly figures, views, API."""
