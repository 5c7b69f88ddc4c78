"""Problems in the admin."""
