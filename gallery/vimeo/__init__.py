"""The only door to Vimeo: links, the oEmbed client, the address guard, and the offline stand-in."""
