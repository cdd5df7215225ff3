@_exported import JSONCoding
import Kafka
