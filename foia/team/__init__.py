"""Working as a team on requests (issue 19): who owns a request, tags, saved list views and bulk actions."""
