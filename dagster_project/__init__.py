"""gongkai: the data warehouse of China's annual government information disclosure reports."""
