public enum PlaceholderIO {}
