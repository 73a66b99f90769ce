"""Teaching: how codecs work, shown on the user's own image (the Learn tab's backend)."""
