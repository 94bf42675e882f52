resource "aws_s3_bucket" "assets" {
  bucket = "acme-shop-assets"
}

resource "aws_security_group" "api" {
  name = "shop-api"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
