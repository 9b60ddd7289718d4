public enum PlaceholderData {}
