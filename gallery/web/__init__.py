"""What public and admin pages share: headers, host and request checks, assets, rendering, responses."""
