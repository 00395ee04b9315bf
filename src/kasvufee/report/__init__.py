"""Writing ledgers out: tables, CSV, JSON Lines, Excel and Parquet."""
