"""Singer tap for the Emailgistics Reporting API."""
