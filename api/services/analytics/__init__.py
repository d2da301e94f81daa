"""Analytics read services (one module per area) over the serving QueryEngine; see ``common`` for the rows
every accuracy number pools."""
