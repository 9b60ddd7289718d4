public enum PlaceholderNN {}
