"""Importing a request log kept in a spreadsheet (CSV or XLSX): reading, column mapping, agency matching,
date parsing, a preview of what each row will create, and the import itself (issue 16)."""
