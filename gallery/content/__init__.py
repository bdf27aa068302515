"""What editors do to galleries and statements, from the admin area and the command line alike."""
